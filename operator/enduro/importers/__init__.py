"""Importers: public datasets (SWE-bench JSONL, Harbor task directories) turned into
Scenario documents. Each importer is a pure function from parsed input to
`ImportedScenario`s and `Problem`s; reading files and writing YAML is kept apart."""
