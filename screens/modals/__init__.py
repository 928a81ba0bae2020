"""Dialogs: every ModalScreen of the app, one file each."""
