"""FarCards-HTTP in the r_keeper plugin: the server r_keeper's ``ExtDllHTTP.dll`` calls
(getcardinfoex, transactionsex), dispatching each card to the loyalty programme and the
account payment that kassa.toml routes its number range to (``[farcards]``).

Modules: ``settings`` (the config), ``limits`` (every numeric field's range), ``wire`` (the
XML both ways), ``routes`` (card -> programme), ``split`` (payments over check lines),
``dispatch`` (the calls through the components and ``hub.payments``), ``door`` (the
listener: bind, allow-list, Basic auth, refusals), ``till`` (a till client for tests and the
bench), ``demo`` (the demo's door), ``texts``.
"""
