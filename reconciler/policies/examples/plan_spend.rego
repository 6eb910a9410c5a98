# What one plan may spend (its cost summary: training, batches, eval runs): a warning above
# params.warn_plan_spend_usd (default 25), a deny above params.max_plan_spend_usd (if set).
package reconciler.plan_spend

import rego.v1

default warning_usd := 25

warning_usd := data.params.warn_plan_spend_usd

adds := object.get(input, ["cost", "adds"], 0)

warn contains msg if {
	adds > warning_usd
	msg := sprintf("this plan adds an estimated $%.2f of spend (over $%.2f)", [adds, warning_usd])
}

deny contains msg if {
	adds > data.params.max_plan_spend_usd
	msg := sprintf("this plan adds an estimated $%.2f of spend; the limit is $%.2f (params.max_plan_spend_usd)", [adds, data.params.max_plan_spend_usd])
}
