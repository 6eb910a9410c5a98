# No more than N deletes (params.max_deletes, default 5) in one apply: a plan that removes more
# is probably a mistake (a folder moved, a stack renamed); split it or raise the limit.
package reconciler.max_deletes

import rego.v1

default max_deletes := 5

max_deletes := data.params.max_deletes

deletes := [change.address | some change in input.changes; change.action == "delete"]

deny contains {"msg": msg, "resource": concat(", ", deletes)} if {
	count(deletes) > max_deletes
	msg := sprintf("this plan deletes %d objects; at most %d may go in one apply (params.max_deletes)", [count(deletes), max_deletes])
}
