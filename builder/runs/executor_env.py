"""Where runs train, as the environment says: read where a run starts (builder.runs.launch), by
the page, the Ray connection and serve."""

EXECUTOR_ENV = "NETBUILDER_EXECUTOR"  # "local" (the default) or "ray"
RAY_ADDRESS_ENV = "NETBUILDER_RAY_ADDRESS"  # auto, HOST:PORT or ray://HOST:10001
