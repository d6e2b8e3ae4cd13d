"""How an untrusted process (an agent CLI, the agent's server) is confined on one machine.

`policy` says what a sandbox may see, as data, and turns it into a bubblewrap command
line (pure); `launch` checks that bubblewrap can run here, opens what the sandbox binds
and gives up root before starting it; `netns` puts the test runner and the server it
starts into a network namespace of their own; `egress` plans, and `forwarder` runs, the
agent's: only loopback and its model endpoints; `seccomp` is the filter of system calls
every sandbox starts under. On Kubernetes the pod is the sandbox and
none of this runs. See docs/security.md.
"""
