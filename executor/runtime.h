/* The shell around the state machine: one libuv loop with the agent
 * connection, the process reaper, timers, signals, health checks and the
 * hook manager, each turned into inputs of executor.c and driven by its
 * effects. runtime_run returns the process exit code. */
#ifndef EXECUTOR_RUNTIME_H
#define EXECUTOR_RUNTIME_H

#include "executor/config.h"

/* Runs the executor until it exits. `cfg` is borrowed. */
int runtime_run(const struct ex_config *cfg);

#endif
