# No fine-tuned model is promoted without an eval gate: a Promotion with a candidate EvalRun
# on a FineTune needs at least one gate (min_pass_rate or beat_baseline_by).
package reconciler.promotion_gate

import rego.v1

runs[change.address] := change if {
	some change in input.changes
	change.kind == "EvalRun"
}

deny contains {"msg": msg, "resource": change.address} if {
	some change in input.changes
	change.kind == "Promotion"
	change.location != null
	count(object.get(change.spec, "gate", [])) == 0
	some candidate in change.spec.candidates
	model := runs[candidate].spec.model
	startswith(model, "FineTune/")
	msg := sprintf("%s promotes %s (candidate %s) without an eval gate: add gate: [{criterion: ..., min_pass_rate: ...}]", [change.address, model, candidate])
}
