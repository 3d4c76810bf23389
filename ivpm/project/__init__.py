"""ivpm.yaml -> validated model -> resolved dependency graph.

``loader`` reads a file (its key tables per level; ``depkeys`` holds the dep table, ``keys``
the table machinery, ``values`` one converter per key, ``fields`` typed node access,
``yamlnodes`` the located YAML loader); ``model`` is the typed result; ``names`` the naming
rules; ``depsets`` picks a dep-set and applies ``uses``; ``resolve`` walks sub-projects into a
:class:`~ivpm.project.model.Resolution` (``graph`` orders it); ``schema`` is the JSON Schema.

Submodules are imported directly; this package imports nothing so start-up stays fast.
"""
