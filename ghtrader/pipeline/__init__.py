"""Batch pipeline steps as plain functions: each Airflow task calls exactly one of them."""
