"""The data-sharing exchange: datasets hosted centrally or proxied to a department's own API."""
