"""Records leaving Offentlig: packages for the e-archive (`sip/`) and for public-access
requests. Each export is a job; what it was asked for and what it produced is a sealed
document in storage, next to the package it names (`authority/exports/{id}/`)."""
