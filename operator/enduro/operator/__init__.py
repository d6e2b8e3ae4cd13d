"""The Kubernetes operator: kopf handlers only (read state, call the engine, act, patch status).

Importing `enduro.operator.handlers` registers every handler with kopf; decisions live
in pure modules (`podresults`, `pods`, `children`, and `enduro.engine`, whose `runplan`
plans a BenchmarkRun).
"""
