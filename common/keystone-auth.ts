/**
 * The body of a Keystone v3 password login scoped to a project — what the API's service user, the
 * stack's seeding and the CLI all send to `POST /v3/auth/tokens`. Domains go by name (`Default`
 * unless told), the project by id when one is given, else by name in its domain.
 */
export interface PasswordLogin {
  user: string;
  password: string;
  userDomain?: string;
  project?: string;
  projectId?: string;
  projectDomain?: string;
}

export function passwordAuthBody(login: PasswordLogin): string {
  const domain = (name?: string) => ({ name: name ?? 'Default' });
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: login.user, domain: domain(login.userDomain), password: login.password } },
      },
      scope: {
        project: login.projectId
          ? { id: login.projectId }
          : { name: login.project, domain: domain(login.projectDomain) },
      },
    },
  });
}
