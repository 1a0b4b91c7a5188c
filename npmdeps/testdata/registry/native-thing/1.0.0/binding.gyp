{"targets": [{"target_name": "thing", "sources": ["thing.cc"]}]}
