"""A fast path in front of `reconciler validate`, for stacks that are clearly valid.

`entry.try_fast_validate` runs before click, pydantic and ruamel are imported. It accepts a
stack only when every check it can do with the standard library passes and every dataset has
a clean cached report; anything else returns None and the normal command runs
(`reconciler.validation.run_validate`), which stays the only source of diagnostics.
"""
