"""Reports: the registry (``register_reports``), periods, rendering for chats, CSV."""
