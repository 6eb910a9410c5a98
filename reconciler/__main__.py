"""`python -m reconciler` runs the CLI; valid stacks are validated without loading click."""

from reconciler.fastcheck.entry import main

main()
