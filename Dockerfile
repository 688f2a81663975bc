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
RUN useradd --create-home --uid 50000 airflow && mkdir -p /opt/airflow && chown airflow /opt/airflow
USER airflow
