"""The cashier's till: a Textual application over ``kassa_pos.engine.Till`` (``kassa pos
till``). Needs the ``till`` extra (Textual); the engine never imports this package.

- ``app``: ``TillApp``, the sale screen, tabs of open and deferred checks, the scanner burst,
  login, the offline banner, the layout file (``layout``).
- ``payment``, ``returns``, ``reports``, ``guest``, ``confirm``: the modal screens the sale
  screen opens (the mix of payments, a return, X and cash reports and the shift, the guest
  panel and client service, a manager's confirmation).
- ``texts`` and ``texts_screens``: what the cashier reads, Russian and English, registered
  through ``register_texts`` under ``pos.till.``.
"""
