"""Users, roles, tokens, login and the guards every endpoint and WebSocket goes through."""
