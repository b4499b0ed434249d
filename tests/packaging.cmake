# Packaging tests: install tree, consumer project, exported symbols.
