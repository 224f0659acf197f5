"""Running student code for batch grading, holding no answer key (Linux only).

The sandbox runner (`runner`: a process that forks each submission's child, inside
bubblewrap, `jail`), the child's isolation (`sandbox`, `child`, `isolation`), talking to
a runner (`channel`; the protocol, `messages`, in typed JSON, `typedjson`) and a
cluster's grading task (`node`). The instructor's batch (`optigrade.grade`) starts runners
here; a cluster's nodes install this package and `grader` only (node/pyproject.toml), so
no key is ever on them.
"""
