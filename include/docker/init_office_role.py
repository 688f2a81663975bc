"""Steps 3-4 of init-airflow.sh in one process (one Airflow + FAB start-up instead of one per `airflow roles …` /
`airflow users …` command): the role KP_OFFICE_ROLE (default Office) and its read-only permissions, then the
first admin (AIRFLOW_ADMIN_USER, default admin; AIRFLOW_ADMIN_PASSWORD required; AIRFLOW_ADMIN_EMAIL), each only
if missing. It does what `airflow roles create`, `airflow roles add-perms` and `airflow users create` do (the FAB
provider's cli_commands/role_command.py and user_command.py), through the same security manager calls, so the
database ends up the same. Prints one summary line. Run with Airflow's python: `python init_office_role.py`."""

from __future__ import annotations

import os
import sys

# read: the page (it asks for DAG runs), the documents, what the UI shows; never edit or create
CAN_READ = ("Website", "DAGs", "DAG Runs", "Task Instances", "Task Logs", "Assets", "DAG Dependencies",
            "DAG Versions", "DAG Warnings", "XComs", "My Profile", "My Password")
CAN_EDIT = ("My Password", "My Profile")
MENU_ACCESS = ("DAGs", "DAG Runs", "Assets", "Task Instances", "Browse")
PERMISSIONS = ([("can_read", r) for r in CAN_READ] + [("can_edit", r) for r in CAN_EDIT]
               + [("menu_access", r) for r in MENU_ACCESS])


def ensure_role(sm, name: str) -> tuple[bool, int]:
    """`airflow roles create NAME` if the role is missing, then `airflow roles add-perms` for PERMISSIONS.
    Returns (created, permissions added)."""
    role = sm.find_role(name)
    created = role is None
    if created:
        role = sm.add_role(name)
    # as add-perms: every resource and action must exist already, nothing is added otherwise
    for resource in dict.fromkeys(r for _, r in PERMISSIONS):
        if not sm.get_resource(resource):
            sys.exit(f"Resource named '{resource}' does not exist")
    for action in dict.fromkeys(a for a, _ in PERMISSIONS):
        if not sm.get_action(action):
            sys.exit(f"Action named '{action}' does not exist")
    have = {(p.action.name, p.resource.name) for p in role.permissions}
    added = 0
    for action, resource in PERMISSIONS:
        if (action, resource) not in have:
            sm.add_permission_to_role(role, sm.create_permission(action, resource))
            added += 1
    # add_permission_to_role logs and swallows a failed commit: check the role holds them all
    have = {(p.action.name, p.resource.name) for p in sm.find_role(name).permissions}
    if missing := [p for p in PERMISSIONS if p not in have]:
        sys.exit(f"role {name} lacks {missing} after adding them")
    return created, added


def ensure_admin(sm, username: str, password: str, email: str) -> bool:
    """`airflow users create --role Admin --username USER … --lastname keyprojects` if no such user. Returns
    whether it created the user."""
    role = sm.find_role("Admin")
    if not role:
        sys.exit(f"Admin is not a valid role. Valid roles are: {sm.get_all_roles()}")
    if sm.find_user(username):
        return False
    if not sm.add_user(username, username, "keyprojects", email, role, password):
        sys.exit("Failed to create user")
    return True


def main() -> None:
    # the FAB start-up's INFO lines (hundreds on a new database; `airflow roles …` hides them), not its warnings
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
    from airflow.providers_manager import ProvidersManager

    ProvidersManager().initialize_providers_configuration()  # the [fab] options, as the CLI commands do
    role_name = os.environ.get("KP_OFFICE_ROLE") or "Office"
    admin = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
    with get_application_builder() as appbuilder:
        created, added = ensure_role(appbuilder.sm, role_name)
        password = os.environ.get("AIRFLOW_ADMIN_PASSWORD")
        if not password:
            sys.exit("AIRFLOW_ADMIN_PASSWORD: set AIRFLOW_ADMIN_PASSWORD (see .env.example)")
        email = os.environ.get("AIRFLOW_ADMIN_EMAIL") or "admin@localhost"
        admin_created = ensure_admin(appbuilder.sm, admin, password, email)
    print(f"init_office_role: role {role_name} {'created' if created else 'existed'}, {added} of "
          f"{len(PERMISSIONS)} permission(s) added; admin {admin} {'created' if admin_created else 'existed'}")


if __name__ == "__main__":
    main()
