"""Qt-free values of the time tracker: weeks and tasks (``models``), their validation, durations
(``timeparse``) and statistics (``stats``). Everything above storage may use them; they import nothing
of the app but ``app.errors``."""
