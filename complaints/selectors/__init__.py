"""Read paths, one module per domain: what the case page, the lists, the
overviews and the dashboard show, each in a fixed number of queries."""
