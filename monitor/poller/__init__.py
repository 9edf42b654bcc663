"""Feed polling, one stage a module: fetcher (HTTP), parser (feed -> items), ids (stable ids), poll (the loop)."""
