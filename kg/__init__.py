"""The music knowledge graph: schema, authored data, the two stores and the queries on them."""
