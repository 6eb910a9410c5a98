"""`python -m reconciler.gitops ...`: the commands the composite action runs."""

from reconciler.gitops.main import main

main()
