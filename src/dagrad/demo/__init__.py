"""The ``dagrad demo`` command: the tutorial's cells, digit classifiers, and pictures of the graph."""
