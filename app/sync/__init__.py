"""Upload of the monitoring outbox: the Qt-free engine, policy, client and status values, and the
``SyncWorker`` / ``SyncController`` that run the engine on its own QThread."""
