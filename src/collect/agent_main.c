/*
 * agent_main.c — the entry point of heron-agent, the same `heron agent`
 * linked with only the collectors and libheron. The agent runs on every
 * node, so its footprint should not grow with the libraries the server's
 * modules bring in; `heron agent` hands over to this binary when it lies
 * beside heron (see cmd_agent.c).
 */
#include "cmd/commands.h"

int main(int argc, char **argv)
{
    return cmd_agent(argc - 1, argv + 1);
}
