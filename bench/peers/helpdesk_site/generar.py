"""Fill the peer's database: ``python -m helpdesk_site.generar --tickets 10000`` (peer's venv).

Migrates a fresh SQLite file (``HELPDESK_PEER_DB``) and writes, in bulk, what ``soporte demo
--tickets N`` writes for soporte, in django-helpdesk's terms: one queue, N/20 customers (as
submitter addresses, django-helpdesk's notion of a customer), N/2,000 (at least 5) staff
members, N tickets over the two years before now (states and priorities drawn like soporte's:
recent ones open, old ones resolved or closed), each with 0–5 follow-ups (about 2.3 on
average, as soporte's replies) by staff or customer, dated after the ticket. Then a staff
member ``agente`` and a logged-in session for it.

Prints one JSON line: ``{"session": <sessionid cookie>, "tickets": N, "followups": M,
"max_id": <largest ticket id>}``.
"""

import argparse
import json
import os
import random
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402  (after django.setup())
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

SPAN = timedelta(days=730)
#: States drawn for a ticket younger than a week, and for an older one.
RECIENTES = (Ticket.OPEN_STATUS, Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS, Ticket.RESOLVED_STATUS)
ANTIGUOS = (
    Ticket.RESOLVED_STATUS,
    Ticket.CLOSED_STATUS,
    Ticket.CLOSED_STATUS,
    Ticket.CLOSED_STATUS,
)
ASUNTOS = ("No puedo completar el pago de mi reserva", "Cambio de fecha de mi vuelo",
           "Reembolso de una cancelación", "La factura no aparece en mi cuenta",
           "Error al iniciar sesión", "Equipaje facturado que no llegó")  # fmt: skip
MENSAJES = ("Lo estamos revisando; te escribimos en cuanto lo sepamos.",
            "Gracias, ya lo he probado y sigue igual.",
            "Hemos aplicado el cambio: ¿puedes confirmarlo?")  # fmt: skip


def generar(n: int, seed: int) -> dict[str, object]:
    """Migrate and fill the database with ``n`` tickets; returns the summary printed."""
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(seed)
    ahora = timezone.now()
    inicio = ahora - SPAN
    Usuario = get_user_model()
    agente = Usuario.objects.create_user(
        "agente", "agente@demo.soporte.test", "agente123", is_staff=True, is_superuser=True
    )
    # One by one: each new user gets its helpdesk settings from a post_save signal (the
    # ticket page reads them); no password, no hashing.
    staff = [agente] + [
        Usuario.objects.create(username=f"staff{i}", email=f"staff{i}@demo.test", is_staff=True)
        for i in range(max(5, n // 2000) - 1)
    ]
    clientes = [f"cliente{i}@demo.test" for i in range(max(1, n // 20))]
    cola = Queue.objects.create(title="Soporte", slug="soporte", email_address="s@demo.test")
    # The bulk rows carry their own dates: not now (auto_now_add / auto_now).
    for campo in ("created", "modified"):
        f = Ticket._meta.get_field(campo)
        f.auto_now = f.auto_now_add = False
    paso = SPAN.total_seconds() / n
    followups = 0
    with transaction.atomic():
        for desde in range(0, n, 5000):
            tickets, seguimientos = [], []
            for i in range(desde, min(n, desde + 5000)):
                creado = inicio + timedelta(seconds=(i + rng.random()) * paso)
                edad = ahora - creado
                estado = rng.choice(RECIENTES if edad < timedelta(days=7) else ANTIGUOS)
                asignado = (
                    rng.choice(staff)
                    if estado != Ticket.OPEN_STATUS or rng.random() < 0.5
                    else None
                )
                ticket = Ticket(
                    id=i + 1, title=rng.choice(ASUNTOS), queue=cola,
                    submitter_email=rng.choice(clientes), assigned_to=asignado, status=estado,
                    description="La pasarela se queda cargando y al final muestra «Transacción "
                    "rechazada».", priority=rng.randint(1, 5), created=creado, modified=creado,
                )  # fmt: skip
                tickets.append(ticket)
                t = creado
                for k in range(int(rng.random() * 5.6)):
                    t += timedelta(seconds=rng.expovariate(1 / (6 * 3600)))
                    seguimientos.append(
                        FollowUp(
                            ticket=ticket, date=t, title="Comentario",
                            comment=rng.choice(MENSAJES), public=True,
                            user=asignado if k % 2 == 0 and asignado else None,
                        )
                    )  # fmt: skip
                ticket.modified = t
            Ticket.objects.bulk_create(tickets)
            # bulk_create skips FollowUp.save() (which would touch its ticket once per row).
            FollowUp.objects.bulk_create(seguimientos)
            followups += len(seguimientos)
    sesion = SessionStore()
    sesion["_auth_user_id"] = str(agente.pk)
    sesion["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    sesion["_auth_user_hash"] = agente.get_session_auth_hash()
    sesion.set_expiry(86400)
    sesion.create()
    return {"session": sesion.session_key, "tickets": Ticket.objects.count(),
            "followups": followups, "max_id": n}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(generar(args.tickets, args.seed)))
