# Every project the stack declares has a spend limit and a model allow-list.
# Input: the plan JSON (`reconciler plan --format json`); see docs/policies.md.
package reconciler.project_guardrails

import rego.v1

declared_projects contains change if {
	some change in input.changes
	change.kind == "Project"
	change.location != null
	change.action != "delete"
}

deny contains {"msg": msg, "resource": change.address} if {
	some change in declared_projects
	not change.spec.spend_limit
	msg := sprintf("%s has no spend_limit: every project needs one (spec.spend_limit.threshold_amount, in cents)", [change.address])
}

deny contains {"msg": msg, "resource": change.address} if {
	some change in declared_projects
	not allow_list(change)
	msg := sprintf("%s has no model allow-list: add spec.model_permissions with mode: allow_list", [change.address])
}

allow_list(change) if change.spec.model_permissions.mode == "allow_list"
