"""Generation backends behind one interface (``base.Backend``), one module each, chosen by
the model registry's ``backend`` name. See ``registry`` for the names."""
