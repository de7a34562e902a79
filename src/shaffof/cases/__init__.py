"""Cases: applications for services and appeals (ariza, taklif, shikoyat), their lifecycle and timeline."""
