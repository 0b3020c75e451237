"""The PostgreSQL database backend: Django's, with bulk statements under the parameter limit."""
