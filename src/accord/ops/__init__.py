"""Operations and hardening that belong to no single app: deployment checks, staff two-factor
enforcement, backup and restore, malware scanning helpers."""
