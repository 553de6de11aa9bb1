"""Services between the UI and storage: DataService (signals) and CacheService (TTL LRU)."""
