"""The local eval engine (pure): template variables, graders and run summaries.

The `Eval` and `EvalRun` kinds (models/eval.py, models/eval_run.py) keep OpenAI's eval schema;
the hosted Evals API is gone (2026-11-30), so the reconciler grades samples itself. The
planner and `validate` use `templates` and `summary`; the EvalRun provider samples through the
API and calls `graders.grade` on each item. Nothing here imports `openai`; the similarity
metrics come from the optional extra `reconciler[evals]`, imported only when a grader runs.
"""
