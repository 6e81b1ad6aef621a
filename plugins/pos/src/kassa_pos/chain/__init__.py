"""The retail chain's backbone (issue #16): a store node's config and leaf NATS server config
(``config``), and the chain documents a store sends up to the centre (``documents``)."""
