-- Runs once when the compose PostgreSQL volume is created: the warehouse database and its owner.
CREATE USER keyprojects WITH PASSWORD 'airflow';
CREATE DATABASE keyprojects OWNER keyprojects;
