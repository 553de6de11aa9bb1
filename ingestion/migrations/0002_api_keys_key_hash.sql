-- Keys are looked up by the SHA-256 of the whole key, not by prefix, so that an unknown prefix and a
-- known prefix with a wrong secret cost the same (issue 13, INGESTION_API.md §4.3).
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
