# Image for the production compose file: the pinned environment plus this package.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 AIRFLOW_HOME=/opt/airflow
WORKDIR /opt/keyprojects
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir "uv==0.13.9" && uv pip install --system --no-cache -r requirements.lock
COPY src ./src
RUN uv pip install --system --no-cache --no-deps .
COPY dags ./dags
COPY plugins ./plugins
COPY include ./include
COPY expectations ./expectations
ENV KP_HOME=/opt/keyprojects AIRFLOW__CORE__DAGS_FOLDER=/opt/keyprojects/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/keyprojects/plugins AIRFLOW__CORE__LOAD_EXAMPLES=False
# The official image's convention: user airflow (50000) in group 0, and what Airflow writes
# group-writable, so that the compose file's AIRFLOW_UID (any uid, group 0) can run it.
# Logins: the FAB auth manager (apache-airflow-providers-fab, in requirements.lock); the compose
# file selects it, bin/airflow keeps SimpleAuthManager for the local demo.
ENV AIRFLOW__CORE__AUTH_MANAGER=airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager \
    KP_CONFIG_DIR=/opt/keyprojects/src/keyprojects/config
RUN useradd --create-home --uid 50000 --gid 0 airflow && mkdir -p /opt/airflow/logs \
    && chown -R airflow:0 /opt/airflow && chmod -R g+rwX /opt/airflow
USER 50000:0
