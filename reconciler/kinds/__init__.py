"""Per-kind planning logic (pure): one `KindPlanner` per manifest kind, looked up by kind name.

`planner.build_plan` uses `PLANNERS[resource.kind]`; a new kind adds one module here next to
its model (`reconciler/models/`) and its provider (`reconciler/providers/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reconciler.kinds.base import DatasetFacts, Desired, KindPlanner, Match, PlanContext
from reconciler.kinds.batch import BatchPlanner
from reconciler.kinds.dataset import DatasetPlanner
from reconciler.kinds.eval import EvalPlanner
from reconciler.kinds.eval_run import EvalRunPlanner
from reconciler.kinds.fine_tune import FineTunePlanner
from reconciler.kinds.group import GroupPlanner
from reconciler.kinds.invite import InvitePlanner
from reconciler.kinds.moderation_policy import ModerationPolicyPlanner
from reconciler.kinds.org_user import OrgUserPlanner
from reconciler.kinds.organization import OrganizationPlanner
from reconciler.kinds.project import ProjectPlanner
from reconciler.kinds.project_member import ProjectMemberPlanner
from reconciler.kinds.promotion import PromotionPlanner
from reconciler.kinds.role import RolePlanner
from reconciler.kinds.service_account import ServiceAccountPlanner

PLANNERS: Mapping[str, KindPlanner] = MappingProxyType(
    {
        planner.kind: planner
        for planner in (
            ProjectPlanner(),
            DatasetPlanner(),
            BatchPlanner(),
            ModerationPolicyPlanner(),
            FineTunePlanner(),
            EvalPlanner(),
            EvalRunPlanner(),
            PromotionPlanner(),
            ProjectMemberPlanner(),
            ServiceAccountPlanner(),
            OrgUserPlanner(),
            InvitePlanner(),
            GroupPlanner(),
            RolePlanner(),
            OrganizationPlanner(),
        )
    }
)

__all__ = ["PLANNERS", "DatasetFacts", "Desired", "KindPlanner", "Match", "PlanContext"]
