"""Question generation: versioned prompts, a JSON schema, strict validation, balanced option
order, near-duplicate flags, backends behind one interface, and the job that ties them to
the store. Only ``prompts``, ``schema``, ``validation``, ``option_order``, ``dedup`` and
``backends.registry`` are light to import; model code loads inside the job process.
"""
