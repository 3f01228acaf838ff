"""`python -m backend login`: a person authorizes access to her Google Sheets from her laptop.

The OAuth client file comes from the Google Cloud console (an OAuth client of type "Desktop
app"); the token is saved where `connections.google_credentials` finds it.
"""

from __future__ import annotations

from google_auth_oauthlib.flow import InstalledAppFlow

from backend.adapters.files import write_atomic
from backend.adapters.google_sheets import SCOPES
from backend.connections import USER_TOKEN


def login(client_secrets: str, port: int = 0, open_browser: bool = True) -> int:
    flow = InstalledAppFlow.from_client_secrets_file(client_secrets, scopes=SCOPES)
    credentials = flow.run_local_server(port=port, open_browser=open_browser,
                                        authorization_prompt_message="Ouvrez cette adresse : {url}",
                                        success_message="Autorisation enregistrée : vous pouvez fermer cet onglet.")
    write_atomic(USER_TOKEN, credentials.to_json().encode("utf-8"))
    USER_TOKEN.chmod(0o600)   # a refresh token is a secret
    print(f"token saved to {USER_TOKEN}")
    return 0
