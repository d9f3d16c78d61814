"""The Sentra services: inventory, pos, suppliers and the gateway."""
