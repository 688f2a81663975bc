"""The warehouse as an Airflow connection: ``kp_warehouse`` when defined, else ``KP_WAREHOUSE_URL``.

Attach it to a DAG with one line (the plugins folder is on Airflow's import path):

    from keyprojects_connections import use_kp_warehouse
    @dag(..., default_args={..., "on_execute_callback": use_kp_warehouse})

Before each task, the connection (from a secrets backend, the UI, or ``AIRFLOW_CONN_KP_WAREHOUSE``)
becomes the task process's ``KP_WAREHOUSE_URL``, which the package's settings read; production
passwords then live in Airflow's secrets backend. Type ``postgres`` means PostgreSQL through
psycopg 3; extras become URL query parameters. Nothing heavy is imported at module level.
"""


def use_kp_warehouse(context=None) -> None:
    import os

    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        c = Connection.get("kp_warehouse")
    except AirflowNotFoundException:
        return
    from keyprojects.db import url_from_parts

    os.environ["KP_WAREHOUSE_URL"] = url_from_parts(c.conn_type, c.host, c.login, c.password, c.port, c.schema,
                                                    c.extra_dejson)
