"""``thermaudit serve`` (the web service) and ``thermaudit user-add`` (accounts, e.g. the first
administrator): thin adapters over :mod:`thermaudit.web`."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from thermaudit.cli import app, console
from thermaudit.errors import ThermauditError

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Data folder (database, keys, workspaces); default $THERMAUDIT_DATA_DIR."
    ),
]


class UserError(ThermauditError, ValueError):
    """An account could not be created."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data: DataOption = None,
) -> None:
    """Run the web application (migrates the database first)."""
    import uvicorn

    from thermaudit.web import Settings, create_app
    from thermaudit.web.server import uvicorn_config

    settings = Settings.from_env(data)
    console.print(
        f"thermaudit web on http://{host}:{port}/ (data {settings.data_dir})",
        highlight=False,
        soft_wrap=True,
    )
    config = uvicorn_config(create_app(settings), settings, host=host, port=port, log_level="info")
    uvicorn.Server(config).run()


@app.command("user-add")
def user_add(
    email: Annotated[str, typer.Argument(help="E-mail address (the sign-in name).")],
    role: Annotated[str, typer.Option(help="admin, enterprise_member or assessor.")] = "admin",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    organization: Annotated[
        str,
        typer.Option(
            help="Organization name for a member or assessor (created when missing).",
        ),
    ] = "",
    data: DataOption = None,
) -> None:
    """Create a user (the first administrator, typically). The password is read from
    $THERMAUDIT_PASSWORD or asked for."""
    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from thermaudit.web import Settings, services
    from thermaudit.web.models import Organization, make_engine, name_key, upgrade

    settings = Settings.from_env(data)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    password = os.environ.get("THERMAUDIT_PASSWORD") or getpass.getpass("password: ")
    engine = make_engine(settings.url)
    upgrade(engine)
    try:
        with sessionmaker(engine).begin() as s:
            org_id = None
            if role != "admin":
                if not organization:
                    raise UserError(f"a {role} needs --organization")
                kind = "enterprise" if role == "enterprise_member" else "assessment_body"
                org = s.scalars(
                    sa.select(Organization).where(Organization.name_key == name_key(organization))
                ).first()
                if org is not None and org.kind != kind:
                    raise UserError(
                        f"--organization: the organization {org.name!r} exists already and is "
                        f"an {org.kind.replace('_', ' ')}; a {role} belongs to an {kind}"
                    )
                if org is None:
                    org = Organization(kind=kind, name=organization)
                    s.add(org)
                    s.flush()
                    services.audit(s, None, "organization.create", target=f"organization:{org.id}")
                org_id = org.id
            user = services.create_user(
                s,
                None,
                email=email,
                name=name or email,
                password=password,
                role=role,
                organization_id=org_id,
            )
            console.print(f"created {user.role} {user.email} (id {user.id})", highlight=False)
    except (services.BadRequest, services.Conflict) as exc:
        raise UserError(str(exc)) from None
    finally:
        engine.dispose()
