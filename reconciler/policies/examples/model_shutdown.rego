# No model within N days (params.min_days_to_shutdown, default 30) of its shutdown date, from
# the dated table shipped with the reconciler (each model use in the plan carries it).
package reconciler.model_shutdown

import rego.v1

default min_days := 30

min_days := data.params.min_days_to_shutdown

deny contains {"msg": msg, "resource": change.address} if {
	some change in input.changes
	change.location != null
	change.action != "delete"
	some use in change.models
	use.days_to_shutdown != null
	use.days_to_shutdown < min_days
	msg := sprintf("%s: %s = %s shuts down on %s, in %d days (the limit is %d days)", [change.address, use.field, use.model, use.shutdown_date, use.days_to_shutdown, min_days])
}
