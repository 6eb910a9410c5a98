"""CLI commands in their own modules, loaded on first use through `cli.LazyGroup.lazy`."""
