from core.auth.models import Rol


async def test_health_and_auth(soporte):
    r = await soporte.get("/healthz")
    assert r.status == 200 and (await r.json()) == {"status": "ok"}
    r = await soporte.get("/readyz/")
    assert r.status == 200, await r.text()
    ana = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get("/api/auth/yo/", headers=soporte.auth(ana))
    assert r.status == 200, await r.text()
    assert (await r.json())["rol"] == "AGENTE"
    r = await soporte.get("/api/auth/yo", headers={"Authorization": "Bearer null"})
    assert r.status == 401
    print(await r.json())
    r = await soporte.get("/nope")
    assert r.status == 404
    print(r.headers, await r.text())
    r = await soporte.get("/api/openapi.json")
    print((await r.text())[:3000])
