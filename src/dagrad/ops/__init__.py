"""Public composite functions by family; each routes to the primitives through dagrad._dispatch.apply."""
